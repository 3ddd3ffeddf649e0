/**
 * Area containment in SQL, the one place every query uses: an area lies inside another when it is that area or a path
 * below it ("肃宁县/梁家村镇" contains "肃宁县/梁家村镇/东村"). Compared with `starts_with` on the path and its `/`, never with
 * LIKE, whose `_` and `%` are wildcards: `测试县/甲_镇` must not match `测试县/甲乙镇`. Mirrors domain/areas.ts areaContains.
 */
export function sqlAreaWithin(inner: string, outer: string): string {
  return `(${inner} = ${outer} OR starts_with(${inner}, ${outer} || '/'))`;
}

/**
 * The same containment on the `cases` table, written so that its indexes serve it (db/migrations/0017): inside a
 * county (no `/`) is `area_county = X`, inside a township (one `/`) is `area_township = X`, which are exactly the rows
 * sqlAreaWithin keeps; deeper (a village) adds the township's equality to the plain test. `area` is the value the
 * parameter `param` will carry (its depth decides the form); `prefix` qualifies the columns (`c.`).
 */
export function sqlCaseInArea(area: string, param: string, prefix = ''): string {
  const slashes = area.split('/').length - 1;
  if (slashes === 0) return `${prefix}area_county = ${param}`;
  if (slashes === 1) return `${prefix}area_township = ${param}`;
  return `(${prefix}area_township = split_part(${param}, '/', 1) || '/' || split_part(${param}, '/', 2) AND ${sqlAreaWithin(`${prefix}area`, param)})`;
}
