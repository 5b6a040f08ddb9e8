"""search: the audience and filters as lexemes of the PostgreSQL tsvector

A filtered search becomes one GIN lookup (see consult/search/postgres_backend.py). Existing
documents of the PostgreSQL backend get their lexemes here, in SQL, the same ones
``filter_lexemes`` writes; the audience's own GIN index is no longer read and goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 21:45:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The filter fields in the order of consult.search.documents.FILTER_FIELDS, as text the way
# documents.term() writes them (a boolean as 1/0).
FIELDS = [
    "kind",
    "task_id",
    "draft_id",
    "version_id",
    "point_id",
    "unit_id",
    "collector_id",
    "clause_id",
    "channel",
    "status",
    "outcome",
    "published::int",
]


def upgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_audience", postgresql_using="gin")
    if op.get_context().dialect.name != "postgresql":
        return  # the embedded backend keeps its documents in Whoosh
    values = ", ".join(f"'={f.split(':')[0]}:' || {f}" for f in FIELDS)
    op.execute(
        "UPDATE search_documents SET tsv = tsv || array_to_tsvector("
        f"array_remove(ARRAY[{values}], NULL)"
        " || ARRAY(SELECT '=audience:' || a FROM unnest(audience) AS a))"
    )


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "UPDATE search_documents SET tsv = ts_delete(tsv, "
            "ARRAY(SELECT lexeme FROM unnest(tsv) WHERE lexeme LIKE '=%'))"
        )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_search_documents_audience", ["audience"], unique=False, postgresql_using="gin"
        )
