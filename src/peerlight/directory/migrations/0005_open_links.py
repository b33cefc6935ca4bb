"""Links between HSDS records keep their id when the record they name is not
in the directory (HSDS data often points at parents it does not hold), so the
database no longer enforces them; and two indexes the API reads by.

On SQLite, dropping a foreign key rebuilds its table.
"""

from django.db import migrations, models
from django.db.models.deletion import CASCADE, SET_NULL

# (model, field, target model, related name, on_delete)
LINKS = [
    ("accessibility", "location", "location", "accessibility", CASCADE),
    ("address", "location", "location", "addresses", CASCADE),
    ("attribute", "taxonomy_term", "taxonomyterm", "attributes", CASCADE),
    ("contact", "location", "location", "contacts", CASCADE),
    ("contact", "organization", "organization", "contacts", CASCADE),
    ("contact", "service", "service", "contacts", CASCADE),
    ("contact", "service_at_location", "serviceatlocation", "contacts", CASCADE),
    ("costoption", "service", "service", "cost_options", CASCADE),
    ("funding", "organization", "organization", "funding", CASCADE),
    ("funding", "service", "service", "funding", CASCADE),
    ("language", "location", "location", "languages", CASCADE),
    ("language", "phone", "phone", "languages", CASCADE),
    ("language", "service", "service", "languages", CASCADE),
    ("location", "organization", "organization", "locations", CASCADE),
    ("organization", "parent_organization", "organization", "children", SET_NULL),
    (
        "organizationidentifier",
        "organization",
        "organization",
        "organization_identifiers",
        CASCADE,
    ),
    ("phone", "contact", "contact", "phones", CASCADE),
    ("phone", "location", "location", "phones", CASCADE),
    ("phone", "organization", "organization", "phones", CASCADE),
    ("phone", "service", "service", "phones", CASCADE),
    ("phone", "service_at_location", "serviceatlocation", "phones", CASCADE),
    ("program", "organization", "organization", "programs", CASCADE),
    ("requireddocument", "service", "service", "required_documents", CASCADE),
    ("schedule", "location", "location", "schedules", CASCADE),
    ("schedule", "service", "service", "schedules", CASCADE),
    ("schedule", "service_at_location", "serviceatlocation", "schedules", CASCADE),
    ("service", "organization", "organization", "services", CASCADE),
    ("service", "program", "program", "services", SET_NULL),
    ("servicearea", "service", "service", "service_areas", CASCADE),
    ("serviceatlocation", "location", "location", "service_at_locations", CASCADE),
    ("serviceatlocation", "service", "service", "service_at_locations", CASCADE),
    ("taxonomyterm", "parent", "taxonomyterm", "children", SET_NULL),
    ("taxonomyterm", "taxonomy_detail", "taxonomy", "terms", CASCADE),
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_referrals")]

    operations = [
        *(
            migrations.AlterField(
                model_name=model,
                name=name,
                field=models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    null=True,
                    on_delete=on_delete,
                    related_name=related_name,
                    to=f"directory.{target}",
                ),
            )
            for model, name, target, related_name, on_delete in LINKS
        ),
        migrations.AddIndex(
            model_name="service",
            index=models.Index(fields=["name", "id"], name="directory_service_name_id"),
        ),
        migrations.AddIndex(
            model_name="location",
            index=models.Index(
                fields=["latitude", "longitude"], name="directory_location_lat_lon"
            ),
        ),
    ]
