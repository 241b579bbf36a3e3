// Colours for the canvases, read from the theme's CSS variables, and the headless light / dark / auto switch.

import { h } from './dom';

/** Reads a CSS variable of the current theme (VS Code sets them on <html>; headless our stylesheet does). */
export function cssVar(name: string, fallback = ''): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Series colours in order: the theme's chart colours, the state colours last. */
export function seriesColors(): string[] {
  return ['--vscode-charts-blue', '--vscode-charts-purple', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-yellow', '--vscode-charts-red'].map((v) => cssVar(v, '#888'));
}

export function stateColor(state: string): string {
  switch (state) {
    case 'healthy':
    case 'ok':
      return cssVar('--vscode-charts-green', '#388a34');
    case 'degraded':
    case 'cooling':
      return cssVar('--vscode-charts-yellow', '#bf8803');
    case 'unhealthy':
      return cssVar('--vscode-charts-orange', '#d18616');
    case 'open':
    case 'invalid':
      return cssVar('--vscode-charts-red', '#e51400');
    default:
      return cssVar('--vscode-charts-lines', '#8888');
  }
}

/** What the canvases need from the theme; a new object whenever the theme changes. */
export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  font: string;
  highContrast: boolean;
  /** Changes with every theme change, so charts know to rebuild. */
  version: number;
}

let version = 0;

/** The colour with its alpha multiplied by `factor` (hex and rgb()/rgba() forms; others unchanged). */
export function fade(color: string, factor: number): string {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color);
  let rgba: number[] | undefined;
  if (hex) {
    const d = hex[1].length <= 4 ? [...hex[1]].map((c) => c + c).join('') : hex[1];
    rgba = [0, 2, 4, 6].map((i) => (i < d.length ? parseInt(d.slice(i, i + 2), 16) : 255));
    rgba[3] /= 255;
  } else {
    const m = /^rgba?\(([^)]+)\)$/.exec(color);
    if (m) {
      const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      rgba = [parts[0], parts[1], parts[2], parts[3] ?? 1];
    }
  }
  if (!rgba || rgba.some((v) => Number.isNaN(v))) return color;
  return `rgba(${rgba[0]}, ${rgba[1]}, ${rgba[2]}, ${Math.round(rgba[3] * factor * 1000) / 1000})`;
}

export function chartTheme(): ChartTheme {
  const family = cssVar('--vscode-font-family', 'system-ui, sans-serif');
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const lines = cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)');
  return {
    foreground: cssVar('--vscode-foreground', '#333'),
    muted: cssVar('--vscode-descriptionForeground', '#777'),
    // VS Code's chart lines are half the foreground: right for axes, loud for a grid behind the data.
    grid: highContrast || document.documentElement.dataset.host === 'browser' ? lines : fade(lines, 0.45),
    background: cssVar('--vscode-editor-background', '#fff'),
    font: `11px ${family}`,
    highContrast,
    version,
  };
}

/**
 * Calls `onChange` after the theme changed: VS Code swaps body classes and the variables on <html>;
 * headless the switch sets data-theme and the OS may flip prefers-color-scheme.
 */
export function watchTheme(onChange: () => void): void {
  const changed = () => {
    version++;
    onChange();
  };
  const observer = new MutationObserver(changed);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class', 'data-theme'] });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', changed);
}

type ThemeChoice = 'auto' | 'light' | 'dark';
const THEME_KEY = 'switchyard.theme';
const NEXT: Record<ThemeChoice, ThemeChoice> = { auto: 'light', light: 'dark', dark: 'auto' };

function storedChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

function applyChoice(choice: ThemeChoice): void {
  if (choice === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

/** Headless only: applies the stored choice and returns the button that cycles auto → light → dark. */
export function themeSwitch(): HTMLButtonElement {
  let choice = storedChoice();
  applyChoice(choice);
  const button = h('button', { type: 'button', class: 'theme-switch', title: 'Theme: follows the system, light or dark' });
  const label = () => (button.textContent = `Theme: ${choice}`);
  label();
  button.addEventListener('click', () => {
    choice = NEXT[choice];
    try {
      localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage may be off; the choice then lasts for this page.
    }
    applyChoice(choice);
    label();
  });
  return button;
}
