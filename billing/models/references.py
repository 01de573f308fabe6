"""References checked once per INSERT (or COPY) statement instead of by foreign keys.

A PostgreSQL foreign key probes its parent once per inserted row (at COMMIT, Django's
constraints being deferred); a posting batch writes thousands of rows, each with several
references. The rows the posting engine writes name their parents in statement-level
triggers instead: one lookup of the distinct parents per statement, from the transition
table. What the foreign key also did is kept by the parent's side: a parent that could
otherwise go away gets a ``BEFORE DELETE`` row trigger refusing the delete while rows name
it (``kept_while_referenced_sql``), and the check holds ``FOR KEY SHARE`` on the parents it
names that could still be deleted, the lock a foreign key takes, so a delete from another
connection waits for the inserting transaction instead of slipping in before its COMMIT.
billing/README.md, "Posting engine", says which reference is checked how.
"""

# The variables the snippets below use; declare them in the trigger (``declare=``).
DECLARE = [("ids", "bigint[]"), ("matched", "bigint"), ("missing", "bigint")]


def parents_exist_sql(
    *, rows: str, column: str, parent: str, what: str, lock: str | None = None
) -> str:
    """PL/pgSQL: every non-null ``column`` of the transition table ``rows`` names a row of
    ``parent`` (by ``id``); otherwise a ``foreign_key_violation`` naming the first missing id.

    ``lock``: ``"all"`` locks every parent named ``FOR KEY SHARE`` (one pass: the lock and
    the count), a SQL condition locks only the parents matching it (those that can still be
    deleted), ``None`` locks nothing (parents that are never deleted). A parent deleted by a
    committed transaction before the lock is skipped by it and counted missing."""
    ids = f"""
    ids := ARRAY(SELECT DISTINCT r.{column} FROM {rows} r WHERE r.{column} IS NOT NULL);"""
    if lock == "all":
        count = f"""
    SELECT count(*) INTO matched
      FROM (SELECT p.id FROM {parent} p WHERE p.id = ANY(ids) ORDER BY p.id FOR KEY SHARE) p;"""
    else:
        count = f"""
    SELECT count(*) INTO matched FROM {parent} p WHERE p.id = ANY(ids);"""
        if lock is not None:
            count = (
                f"""
    PERFORM 1 FROM {parent} p WHERE p.id = ANY(ids) AND ({lock})
      ORDER BY p.id FOR KEY SHARE;"""
                + count
            )
    return (
        ids
        + count
        + f"""
    IF matched < cardinality(ids) THEN
        SELECT x INTO missing FROM unnest(ids) AS x
         WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = x)
         LIMIT 1;
        RAISE EXCEPTION '{what} %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""
    )


def kept_while_referenced_sql(*, what: str, children: list[tuple[str, str]]) -> str:
    """PL/pgSQL for a ``BEFORE DELETE`` row trigger: refuse deleting the row while any of
    ``children`` (table, column) names it. Each column has an index starting with it."""
    checks = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE {column} = OLD.id)" for table, column in children
    )
    return f"""
    IF {checks} THEN
        RAISE EXCEPTION '{what} % is referenced and cannot be deleted', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
"""
