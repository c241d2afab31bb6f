# Custom fields move to their own app (custom_fields): the table is renamed to the new app's name, with
# every row; the model leaves this app's state and joins custom_fields' (its 0001).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("profiles", "0002_search_trigram_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CustomField")],
            database_operations=[migrations.AlterModelTable(name="CustomField", table="custom_fields_customfield")],
        )
    ]
