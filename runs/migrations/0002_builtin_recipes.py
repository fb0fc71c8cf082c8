from django.db import migrations
from django.utils import timezone


def create_builtin_recipes(apps, schema_editor):
    from engine.recipe import definition_hash, validate_definition
    from runs.builtin import BUILTIN_RECIPES

    Recipe = apps.get_model("runs", "Recipe")
    for name, spec in BUILTIN_RECIPES.items():
        definition = validate_definition(spec["definition"])
        Recipe.objects.get_or_create(name=name, defaults={
            "definition": definition, "definition_hash": definition_hash(definition),
            "description": spec["description"], "updated_at": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [("runs", "0001_initial")]
    operations = [migrations.RunPython(create_builtin_recipes, migrations.RunPython.noop)]
