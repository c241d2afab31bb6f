from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_api_token_wrote_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="agents_may_assume_identity",
            field=models.BooleanField(default=False, verbose_name="agents may assume customers' identity"),
        ),
    ]
