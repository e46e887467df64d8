/** Largest value of a PostgreSQL `integer`, the type of every quantity column. */
export const MAX_QUANTITY = 2_147_483_647;

/** Bound on one adjustment, so `on_hand + delta` is computed without overflow. */
export const MAX_DELTA = 1_000_000_000;
/** -MAX_DELTA, as a name of its own: the Swagger plugin drops a field whose @Min is a negated constant. */
export const MIN_DELTA = -MAX_DELTA;
