/**
 * The app window's size and position, kept across runs in DATA_DIR/window-state.json. Plain Node (no
 * Electron): electron-main passes the displays' work areas. A saved place that no display shows any
 * more (a monitor unplugged) is moved onto the nearest one; sizes are kept between a sensible minimum
 * and the display's work area. A missing or broken file means the default: centred, 1280×860.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Undefined x/y: let the window manager place it (centred). */
  bounds: { x?: number | undefined; y?: number | undefined; width: number; height: number };
  maximized: boolean;
}

/** The smallest window the layout is made for (renderer base.css: body min-width/min-height); below
 *  1000 px wide the conversation list folds away behind a toggle. */
export const MIN_SIZE = { width: 800, height: 600 } as const;
export const DEFAULT_SIZE = { width: 1280, height: 860 } as const;
/** How much of the window must be on a display to count as visible (enough to grab its title bar). */
const VISIBLE = { width: 120, height: 48 };

export const windowStateFile = (dataDir: string) => join(dataDir, 'window-state.json');

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What the file holds, or undefined when it is missing or not a window state. */
export function readWindowState(dataDir: string): WindowState | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(windowStateFile(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
  const r = raw as { bounds?: Record<string, unknown>; maximized?: unknown };
  const b = r?.bounds;
  if (!b || !finite(b.width) || !finite(b.height)) return undefined;
  return {
    bounds: {
      width: b.width,
      height: b.height,
      ...(finite(b.x) && finite(b.y) ? { x: b.x, y: b.y } : {}),
    },
    maximized: r.maximized === true,
  };
}

export function saveWindowState(dataDir: string, state: WindowState): void {
  writeFileAtomic(windowStateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

/**
 * Where the window opens: the saved state fitted to the displays' work areas (the first is the
 * primary). Size between MIN_SIZE (or the work area, if smaller) and the work area; a position that
 * leaves too little of the window on any display is moved onto the display nearest to it.
 */
export function fitWindowState(saved: WindowState | undefined, workAreas: readonly Rect[]): WindowState {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height };
  const want: WindowState['bounds'] = saved?.bounds ?? DEFAULT_SIZE;
  const maximized = saved?.maximized ?? false;
  const placed = finite(want.x) && finite(want.y);
  // The display that shows most of the window, or the nearest one to its centre.
  let area = primary;
  if (placed) {
    const rect = { x: want.x!, y: want.y!, width: want.width, height: want.height };
    const visible = workAreas
      .map((a) => ({ a, o: overlap(rect, a) }))
      .filter(({ o }) => o.width >= VISIBLE.width && o.height >= VISIBLE.height)
      .sort((p, q) => q.o.width * q.o.height - p.o.width * p.o.height)[0];
    if (visible) area = visible.a;
    else {
      const cx = rect.x + rect.width / 2;
      const cy = rect.y + rect.height / 2;
      const dist = (a: Rect) =>
        Math.hypot(clamp(cx, a.x, a.x + a.width) - cx, clamp(cy, a.y, a.y + a.height) - cy);
      area = [...workAreas].sort((p, q) => dist(p) - dist(q))[0] ?? primary;
    }
  }
  const width = clamp(Math.round(want.width), Math.min(MIN_SIZE.width, area.width), area.width);
  const height = clamp(Math.round(want.height), Math.min(MIN_SIZE.height, area.height), area.height);
  if (!placed) return { bounds: { width, height }, maximized };
  const x = clamp(Math.round(want.x!), area.x, area.x + area.width - width);
  const y = clamp(Math.round(want.y!), area.y, area.y + area.height - height);
  return { bounds: { x, y, width, height }, maximized };
}
