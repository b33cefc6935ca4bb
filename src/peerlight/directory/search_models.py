"""The search index's own tables, derived from the HSDS tables and rebuilt from them.

Nothing here is a source of truth: ``search.rebuild()`` can drop and refill
every row. One ``SearchDocument`` per service holds what a query filters and
ranks on, worked out once when the service is written (``search_index``), so
a query never opens the HSDS tables. Beside these tables each database has
its text and place indexes, made by migration 0002: on SQLite an FTS5 table
over the three text columns and an R*Tree over the points; on PostgreSQL a
``tsvector`` column with a GIN index and a GiST index over the points.

Rows refer to a document by its integer id without a foreign key: the index
is written in bulk and cleared as a whole, and the text indexes (which know
no foreign keys) are kept in step by the same code.
"""

from __future__ import annotations

from django.db import models

__all__ = [
    "SearchCategory",
    "SearchChampion",
    "SearchCounter",
    "SearchDocument",
    "SearchPoint",
    "SearchSlot",
    "SearchTerm",
    "SearchZone",
]


class SearchDocument(models.Model):
    """One service as the search sees it."""

    id = models.BigAutoField(primary_key=True)
    service_id = models.UUIDField(unique=True)
    # Stems separated by single spaces, with a space at each end, so that
    # " stem " finds a whole stem: the name (weighted most), then the
    # organisation and category names, then the description and eligibility.
    title = models.TextField()
    about = models.TextField()
    body = models.TextField()
    # The folded name: the order when nothing else ranks.
    sort_name = models.TextField()
    active = models.BooleanField()
    free = models.BooleanField()
    wheelchair = models.BooleanField()
    minimum_age = models.FloatField(null=True)
    maximum_age = models.FloatField(null=True)
    # Folded language codes between spaces: " en es ".
    languages = models.TextField()
    located = models.BooleanField()
    # The first physical location (the least latitude, then longitude); the
    # others, if any (``spread``), are ``SearchPoint`` rows.
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    spread = models.BooleanField(default=False)
    # The location's place on the Z-order curve (``places.zkey``), set by a
    # rebuild, which numbers the documents in that order: then the documents
    # in a box are a few runs of ids. None for those indexed since (and for
    # services without a place); a query reads those apart.
    zkey = models.BigIntegerField(null=True)
    # Which of the most common stems the document holds, one bit each (the
    # stem's ``SearchTerm.bit``: 0-62 here, 63-125 in ``stem_bits_high``), so
    # that a narrow index answers "holds these common words" without
    # reading the row (used on PostgreSQL).
    stem_bits = models.BigIntegerField(default=0)
    stem_bits_high = models.BigIntegerField(default=0)
    # The languages among the best known ones (``search_index.language_bit``).
    language_bits = models.BigIntegerField(default=0)
    # False when some hours need the exact check after the database's one;
    # ``hours`` then holds those schedules as JSON.
    hours_exact = models.BooleanField(default=True)
    hours = models.TextField(blank=True, default="")

    class Meta:
        db_table = "directory_search_document"
        indexes = [
            models.Index(fields=["sort_name", "id"], name="directory_search_sort"),
            models.Index(fields=["zkey", "id"], name="directory_search_zkey"),
        ]

    def __str__(self) -> str:
        return f"Search document {self.pk}"


class SearchPoint(models.Model):
    """Another place a service can be visited, beyond its document's first one."""

    id = models.BigAutoField(primary_key=True)
    document_id = models.BigIntegerField(db_index=True)
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        db_table = "directory_search_point"

    def __str__(self) -> str:
        return f"Search point {self.pk}"


class SearchCategory(models.Model):
    """A taxonomy term a service carries (the query expands a term to its descendants)."""

    id = models.BigAutoField(primary_key=True)
    document_id = models.BigIntegerField()
    term_id = models.UUIDField()

    class Meta:
        db_table = "directory_search_category"
        indexes = [
            models.Index(fields=["document_id", "term_id"], name="directory_search_by_doc"),
            models.Index(fields=["term_id", "document_id"], name="directory_search_by_term"),
        ]

    def __str__(self) -> str:
        return f"Search category {self.pk}"


class SearchSlot(models.Model):
    """A piece of opening hours in local time (see ``hours.index_slots``)."""

    id = models.BigAutoField(primary_key=True)
    document_id = models.BigIntegerField(db_index=True)
    zone = models.CharField(max_length=64)
    day_key = models.CharField(max_length=8)
    start_minute = models.SmallIntegerField()
    end_minute = models.SmallIntegerField()
    from_previous_day = models.BooleanField()
    first_day = models.CharField(max_length=10, null=True)  # noqa: DJ001 (None: no bound)
    last_day = models.CharField(max_length=10, null=True)  # noqa: DJ001 (None: no bound)

    class Meta:
        db_table = "directory_search_slot"

    def __str__(self) -> str:
        return f"Search slot {self.pk}"


class SearchZone(models.Model):
    """Every time zone some slot is in; a query works out "now" once per zone."""

    zone = models.CharField(max_length=64, primary_key=True)

    class Meta:
        db_table = "directory_search_zone"

    def __str__(self) -> str:
        return self.zone


class SearchTerm(models.Model):
    """How many documents hold a stem; ``champion`` when it has a champion list."""

    stem = models.CharField(max_length=64, primary_key=True)
    documents = models.IntegerField()
    champion = models.BooleanField(default=False)
    # Its bit in ``SearchDocument.stem_bits`` for one of the most common stems.
    bit = models.SmallIntegerField(null=True)

    class Meta:
        db_table = "directory_search_term"

    def __str__(self) -> str:
        return self.stem


class SearchChampion(models.Model):
    """For a stem most services hold: the first documents of each tier.

    ``tier`` is 3 when the stem is in the name, 2 in the organisation or
    category names, 1 in the description. Queries for common words rank
    these few instead of every match (see ``search``).
    """

    id = models.BigAutoField(primary_key=True)
    stem = models.CharField(max_length=64)
    tier = models.SmallIntegerField()
    document_id = models.BigIntegerField(db_index=True)

    class Meta:
        db_table = "directory_search_champion"
        indexes = [
            models.Index(fields=["stem", "-tier", "document_id"], name="directory_search_champ")
        ]

    def __str__(self) -> str:
        return f"Search champion {self.pk}"


class SearchCounter(models.Model):
    """Running totals the planner reads: "documents" is how many are indexed."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField()

    class Meta:
        db_table = "directory_search_counter"

    def __str__(self) -> str:
        return self.name
