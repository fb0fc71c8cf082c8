from django.db import migrations


# The built-in recipes were created here as effect chains; they are now graph
# documents, created (or converted from the chains) by 0009_recipes_are_graphs,
# which carries its own copy of them.
class Migration(migrations.Migration):
    dependencies = [("runs", "0001_initial")]
    operations = []
