from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_curation")]

    operations: list[migrations.operations.base.Operation] = []
