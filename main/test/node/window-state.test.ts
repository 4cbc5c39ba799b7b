import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../../test/support/services.js';
import {
  DEFAULT_SIZE,
  MIN_SIZE,
  fitWindowState,
  readWindowState,
  saveWindowState,
  windowStateFile,
} from '../../src/node/window-state.js';

const laptop = { x: 0, y: 0, width: 1920, height: 1040 };
const right = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('window state file', () => {
  const data = tempDataDir('msi-window-');
  afterEach(() => data.cleanup());

  it('keeps size, position and maximized across runs, in the data dir', () => {
    saveWindowState(data.dir, { bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: true });
    expect(JSON.parse(readFileSync(windowStateFile(data.dir), 'utf8'))).toMatchObject({ maximized: true });
    expect(readWindowState(data.dir)).toEqual({
      bounds: { x: 10, y: 20, width: 1000, height: 700 },
      maximized: true,
    });
  });

  it('treats a missing, broken or foreign file as no state', () => {
    mkdirSync(data.dir, { recursive: true });
    expect(readWindowState(data.dir)).toBeUndefined();
    writeFileSync(windowStateFile(data.dir), '{"bounds": ');
    expect(readWindowState(data.dir)).toBeUndefined();
    writeFileSync(windowStateFile(data.dir), '{"bounds": {"width": "wide", "height": 3}}');
    expect(readWindowState(data.dir)).toBeUndefined();
    writeFileSync(windowStateFile(data.dir), '{"bounds": {"width": 1000, "height": 700, "x": null}}');
    expect(readWindowState(data.dir)).toEqual({ bounds: { width: 1000, height: 700 }, maximized: false });
  });
});

describe('fitting the window to the displays', () => {
  it('opens centred at the default size the first time', () => {
    expect(fitWindowState(undefined, [laptop])).toEqual({ bounds: DEFAULT_SIZE, maximized: false });
  });

  it('keeps a place that a display shows, on that display', () => {
    const saved = { bounds: { x: 2100, y: 100, width: 1600, height: 1000 }, maximized: false };
    expect(fitWindowState(saved, [laptop, right])).toEqual(saved);
  });

  it('moves a window from an unplugged monitor onto the nearest display', () => {
    const saved = { bounds: { x: 2100, y: 100, width: 1600, height: 1000 }, maximized: true };
    expect(fitWindowState(saved, [laptop])).toEqual({
      bounds: { x: 320, y: 40, width: 1600, height: 1000 },
      maximized: true,
    });
  });

  it('pulls a window that hangs off the edge back until it fits', () => {
    const saved = { bounds: { x: -1100, y: 900, width: 1200, height: 800 }, maximized: false };
    expect(fitWindowState(saved, [laptop]).bounds).toEqual({ x: 0, y: 240, width: 1200, height: 800 });
  });

  it('keeps sizes between the minimum and the work area', () => {
    const tiny = fitWindowState({ bounds: { x: 5, y: 5, width: 200, height: 100 }, maximized: false }, [
      laptop,
    ]);
    expect(tiny.bounds).toMatchObject({ width: MIN_SIZE.width, height: MIN_SIZE.height });
    const huge = fitWindowState({ bounds: { width: 9000, height: 9000 }, maximized: false }, [laptop]);
    expect(huge.bounds).toEqual({ width: 1920, height: 1040 });
    const small = { x: 0, y: 0, width: 800, height: 500 };
    expect(fitWindowState(undefined, [small]).bounds).toEqual({ width: 800, height: 500 });
  });
});
