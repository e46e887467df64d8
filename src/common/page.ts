/** One page of a keyset-paginated list, as services return it. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly nextCursor: string | null,
    readonly limit: number,
  ) {}
}
