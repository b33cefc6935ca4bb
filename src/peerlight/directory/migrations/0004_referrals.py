from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_curation")]

    operations = [
        # The question on every page of a signed-in member reads their open
        # referrals by follow-up date (``referrals.next_question``).
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("outcome_at__isnull", True)),
                fields=["member", "follow_up_at"],
                name="directory_referral_open",
            ),
        ),
    ]
