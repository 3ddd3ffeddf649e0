/**
 * Areas are paths in the administrative hierarchy: county / township / village, e.g. "肃宁县/梁家村镇/东村".
 * A member acts only inside the area it was given: a county member sees the whole county, a village member its village.
 */
export type AreaKind = 'county' | 'township' | 'village';
const KINDS: AreaKind[] = ['county', 'township', 'village'];

export const AREA_SEGMENT = /^[^/\s][^/]{0,39}$/;

export function areaSegments(area: string): string[] {
  return area.split('/');
}

export function isValidArea(area: string): boolean {
  const parts = areaSegments(area);
  return parts.length >= 1 && parts.length <= 3 && parts.every((p) => AREA_SEGMENT.test(p) && p.trim() === p);
}

export function areaKind(area: string): AreaKind {
  return KINDS[areaSegments(area).length - 1];
}

/** True when `inner` is `outer` or lies inside it. */
export function areaContains(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}

/** The enclosing area of a given kind ("肃宁县/梁家村镇/东村" at township is "肃宁县/梁家村镇"). */
export function areaAt(area: string, kind: AreaKind): string {
  return areaSegments(area).slice(0, KINDS.indexOf(kind) + 1).join('/');
}
