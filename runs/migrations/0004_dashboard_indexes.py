from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("runs", "0003_cancel")]

    operations = [
        migrations.AddIndex(
            model_name="run",
            index=models.Index(fields=["owner", "-created_at"], name="run_by_owner"),
        ),
    ]
