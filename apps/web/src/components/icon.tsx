import type { ReactNode } from 'react';

/**
 * A 24-unit icon `size` px square, drawn in the text's colour. Hidden from screen readers:
 * the button or link around it carries the name.
 */
export function Icon({ size = 24, children }: { size?: number; children: ReactNode }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true">
      {children}
    </svg>
  );
}

/** One outlined shape of an `Icon`; `filled` fills it as well (a liked heart, a bell that is on). */
export function IconPath({ d, filled = false }: { d: string; filled?: boolean }) {
  return (
    <path
      d={d}
      fill={filled ? 'currentColor' : 'none'}
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinejoin="round"
    />
  );
}
