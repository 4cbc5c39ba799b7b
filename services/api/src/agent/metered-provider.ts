/**
 * The model provider with every step counted (metrics.ts): calls by outcome, their time, tokens and cost
 * by model. One wrapper for every provider, so the agent loop and copilot count the same way.
 */
import type { Metrics } from '../metrics.js';
import type { ModelProvider } from './provider.js';

export function meteredProvider(provider: ModelProvider, metrics: Metrics): ModelProvider {
  // The offline planner has no model of its own: it is its own "model" in the labels.
  const model = provider.model ?? provider.name;
  return {
    name: provider.name,
    ...(provider.model ? { model: provider.model } : {}),
    ...(provider.warmUp ? { warmUp: () => provider.warmUp!() } : {}),
    async step(input, onDelta) {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const out = await provider.step(input, onDelta);
        metrics.modelCall(provider.name, model, 'ok', seconds(), out.usage);
        return out;
      } catch (err) {
        metrics.modelCall(provider.name, model, input.signal.aborted ? 'cancelled' : 'error', seconds());
        throw err;
      }
    },
  };
}
