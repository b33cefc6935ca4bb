"""The search index: plain tables on every database, then each database's own
text and place indexes (SQLite: FTS5 and an R*Tree; PostgreSQL: a tsvector
with GIN and a GiST index over the points)."""

from django.db import migrations, models

SQLITE_FORWARD = [
    # External content: the stems live once, in the document table.
    "CREATE VIRTUAL TABLE directory_search_fts USING fts5("
    "title, about, body, content='directory_search_document', content_rowid='id', "
    "detail=none, columnsize=0, tokenize='ascii')",
    "CREATE VIRTUAL TABLE directory_search_rtree USING rtree("
    "id, min_latitude, max_latitude, min_longitude, max_longitude, +document_id)",
]
SQLITE_BACKWARD = [
    "DROP TABLE IF EXISTS directory_search_rtree",
    "DROP TABLE IF EXISTS directory_search_fts",
]
POSTGRES_FORWARD = [
    "ALTER TABLE directory_search_document ADD COLUMN tsv tsvector",
    "CREATE INDEX directory_search_tsv ON directory_search_document USING gin (tsv)",
    "CREATE INDEX directory_search_geo ON directory_search_point "
    "USING gist (point(longitude, latitude))",
    # Narrow: a box's runs of ids are filtered on it alone (index-only scans).
    "CREATE INDEX directory_search_narrow ON directory_search_document (id) INCLUDE "
    "(located, active, free, wheelchair, minimum_age, maximum_age, stem_bits, stem_bits_high, "
    "language_bits)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS directory_search_narrow",
    "DROP INDEX IF EXISTS directory_search_geo",
    "DROP INDEX IF EXISTS directory_search_tsv",
    "ALTER TABLE directory_search_document DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("service_id", models.UUIDField(unique=True)),
                ("title", models.TextField()),
                ("about", models.TextField()),
                ("body", models.TextField()),
                ("sort_name", models.TextField()),
                ("active", models.BooleanField()),
                ("free", models.BooleanField()),
                ("wheelchair", models.BooleanField()),
                ("minimum_age", models.FloatField(null=True)),
                ("maximum_age", models.FloatField(null=True)),
                ("languages", models.TextField()),
                ("located", models.BooleanField()),
                ("latitude", models.FloatField(null=True)),
                ("longitude", models.FloatField(null=True)),
                ("spread", models.BooleanField(default=False)),
                ("zkey", models.BigIntegerField(null=True)),
                ("stem_bits", models.BigIntegerField(default=0)),
                ("stem_bits_high", models.BigIntegerField(default=0)),
                ("language_bits", models.BigIntegerField(default=0)),
                ("hours_exact", models.BooleanField(default=True)),
                ("hours", models.TextField(blank=True, default="")),
            ],
            options={
                "db_table": "directory_search_document",
                "indexes": [
                    models.Index(fields=["sort_name", "id"], name="directory_search_sort"),
                    models.Index(fields=["zkey", "id"], name="directory_search_zkey"),
                ],
            },
        ),
        migrations.CreateModel(
            name="SearchPoint",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("document_id", models.BigIntegerField(db_index=True)),
                ("latitude", models.FloatField()),
                ("longitude", models.FloatField()),
            ],
            options={"db_table": "directory_search_point"},
        ),
        migrations.CreateModel(
            name="SearchCategory",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("document_id", models.BigIntegerField()),
                ("term_id", models.UUIDField()),
            ],
            options={
                "db_table": "directory_search_category",
                "indexes": [
                    models.Index(
                        fields=["document_id", "term_id"], name="directory_search_by_doc"
                    ),
                    models.Index(
                        fields=["term_id", "document_id"], name="directory_search_by_term"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="SearchSlot",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("document_id", models.BigIntegerField(db_index=True)),
                ("zone", models.CharField(max_length=64)),
                ("day_key", models.CharField(max_length=8)),
                ("start_minute", models.SmallIntegerField()),
                ("end_minute", models.SmallIntegerField()),
                ("from_previous_day", models.BooleanField()),
                ("first_day", models.CharField(max_length=10, null=True)),
                ("last_day", models.CharField(max_length=10, null=True)),
            ],
            options={"db_table": "directory_search_slot"},
        ),
        migrations.CreateModel(
            name="SearchZone",
            fields=[("zone", models.CharField(max_length=64, primary_key=True, serialize=False))],
            options={"db_table": "directory_search_zone"},
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("stem", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("documents", models.IntegerField()),
                ("champion", models.BooleanField(default=False)),
                ("bit", models.SmallIntegerField(null=True)),
            ],
            options={"db_table": "directory_search_term"},
        ),
        migrations.CreateModel(
            name="SearchChampion",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("stem", models.CharField(max_length=64)),
                ("tier", models.SmallIntegerField()),
                ("document_id", models.BigIntegerField(db_index=True)),
            ],
            options={
                "db_table": "directory_search_champion",
                "indexes": [
                    models.Index(
                        fields=["stem", "-tier", "document_id"], name="directory_search_champ"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SearchCounter",
            fields=[
                ("name", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField()),
            ],
            options={"db_table": "directory_search_counter"},
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
