from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_search")]

    operations: list[migrations.operations.base.Operation] = []
