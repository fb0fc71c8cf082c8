"""Every recipe becomes a graph document; runs may render inline.

Effect chains ({"inputs": N, "steps": [...]}) are converted in place to the
graph documents they always were: a SOURCE per input, one EFFECT node per
step in a line. The built-in ones get their documents below, where every
effect parameter is a recipe param (so runs may set `dog`'s `sigma`); other
chains keep their fixed values. Each converted recipe gets a RecipeVersion
and its new definition hash.

This migration carries its own copy of the documents and of the canonical
hash (engine.canonical): it must give the same result however the engine
changes later. Runs rendered as chains keep their rows and records; the
sweep plans the unfinished ones again under the graph path.
"""

import hashlib
import json
import math

from django.db import migrations, models
from django.utils import timezone


def _canonical(value):
    """engine.canonical's encoding: integral floats as integers, sorted keys."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("NaN and infinity have no canonical form")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _hash(document: dict) -> str:
    data = json.dumps(_canonical(document), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")
    return hashlib.sha3_256(data).hexdigest()


def _input_names(count: int) -> list[str]:
    return {1: ["image"], 2: ["left", "right"]}.get(count) or [
        f"input-{i + 1}" for i in range(count)]


def _chain_document(name: str, description: str, definition: dict) -> dict:
    """A chain someone saved: the same effects with the same fixed params."""
    inputs = _input_names(int(definition.get("inputs", 1)))
    steps = definition.get("steps") or []
    kind = "any" if all(s["effect"] == "identity" for s in steps) else "visual"
    nodes = [{"id": n, "type": "SOURCE", "inputs": [],
              "config": {"duration": 0.0, "input": True, "kind": kind, "list": False, "name": n}}
             for n in inputs]
    previous, used = inputs, {}
    for step in steps:
        used[step["effect"]] = used.get(step["effect"], 0) + 1
        node = step["effect"] if used[step["effect"]] == 1 else \
            f"{step['effect']}-{used[step['effect']]}"
        nodes.append({"id": node, "type": "EFFECT", "inputs": previous,
                      "config": {"effect": step["effect"], "params": step.get("params") or {}}})
        previous = [node]
    if definition.get("output_format"):
        description = (f"{description} (converted from an effect chain that wrote "
                       f"{definition['output_format']}; outputs now keep the input's format)"
                       ).strip()
    return {"name": name, "version": "1", "description": description, "owner": None,
            "params": {}, "dag": {"nodes": sorted(nodes, key=lambda n: n["id"]),
                                  "output": {"output": previous[0]}, "inputs": inputs}}


def recipes_to_graphs(apps, schema_editor):
    Recipe = apps.get_model("runs", "Recipe")
    RecipeVersion = apps.get_model("runs", "RecipeVersion")
    now = timezone.now()

    def store(recipe, document: dict) -> None:
        content_hash = _hash(document)
        RecipeVersion.objects.get_or_create(content_hash=content_hash, defaults={
            "recipe": recipe, "document": document, "created_at": now,
            "source": json.dumps(document, indent=2, sort_keys=True)})
        recipe.kind, recipe.definition, recipe.definition_hash = "graph", document, content_hash
        recipe.description, recipe.updated_at = document["description"], now
        recipe.save(update_fields=["kind", "definition", "definition_hash", "description",
                                   "updated_at"])

    for name, document in BUILTIN.items():
        recipe = Recipe.objects.filter(name=name).first()
        if recipe is None:
            recipe = Recipe.objects.create(name=name, kind="graph", definition=document,
                                           definition_hash=_hash(document),
                                           description=document["description"])
        if recipe.kind != "graph" or not RecipeVersion.objects.filter(recipe=recipe).exists():
            store(recipe, document)
    for recipe in Recipe.objects.exclude(kind="graph"):
        store(recipe, _chain_document(recipe.name, recipe.description, recipe.definition))


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0008_run_newest_keyset"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="inline",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(recipes_to_graphs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="recipe",
            name="kind",
            field=models.CharField(choices=[("graph", "Graph")], default="graph", max_length=8),
        ),
    ]


# The built-in recipes as engine.dag.validate normalized them when they became
# graphs (tests/runs/test_builtin.py checks this copy against runs/builtin.py).
BUILTIN = {'diptych': {'dag': {'inputs': ['left', 'right'],
                     'nodes': [{'config': {'effect': 'hstack', 'params': {}},
                                'id': 'hstack',
                                'inputs': ['left', 'right'],
                                'type': 'EFFECT'},
                               {'config': {'duration': 0.0,
                                           'input': True,
                                           'kind': 'visual',
                                           'list': False,
                                           'name': 'left'},
                                'id': 'left',
                                'inputs': [],
                                'type': 'SOURCE'},
                               {'config': {'duration': 0.0,
                                           'input': True,
                                           'kind': 'visual',
                                           'list': False,
                                           'name': 'right'},
                                'id': 'right',
                                'inputs': [],
                                'type': 'SOURCE'}],
                     'output': {'output': 'hstack'}},
             'description': 'Two inputs side by side, in the order given.',
             'name': 'diptych',
             'owner': None,
             'params': {},
             'version': '1'},
 'dog': {'dag': {'inputs': ['image'],
                 'nodes': [{'config': {'effect': 'dog',
                                       'params': {'k': {'param': 'k'},
                                                  'levels': {'param': 'levels'},
                                                  'line_strength': {'param': 'line_strength'},
                                                  'sharpness': {'param': 'sharpness'},
                                                  'sigma': {'param': 'sigma'},
                                                  'threshold': {'param': 'threshold'}}},
                            'id': 'dog',
                            'inputs': ['image'],
                            'type': 'EFFECT'},
                           {'config': {'duration': 0.0,
                                       'input': True,
                                       'kind': 'visual',
                                       'list': False,
                                       'name': 'image'},
                            'id': 'image',
                            'inputs': [],
                            'type': 'SOURCE'}],
                 'output': {'output': 'dog'}},
         'description': 'The artdag signature look: difference-of-Gaussians ink lines over '
                        'flat posterized colour.',
         'name': 'dog',
         'owner': None,
         'params': {'k': {'choices': None,
                          'default': 1.6,
                          'help': 'ratio of the wide blur to the narrow one; larger gives '
                                  'thicker lines',
                          'maximum': 5.0,
                          'minimum': 1.05,
                          'type': 'float'},
                    'levels': {'choices': None,
                               'default': 5,
                               'help': 'colour levels per channel in the flat fill',
                               'maximum': 32,
                               'minimum': 2,
                               'type': 'int'},
                    'line_strength': {'choices': None,
                                      'default': 1.0,
                                      'help': 'darkness of the ink: 0 gives colour only, 1 '
                                              'full black lines',
                                      'maximum': 1.0,
                                      'minimum': 0.0,
                                      'type': 'float'},
                    'sharpness': {'choices': None,
                                  'default': 100.0,
                                  'help': 'how abruptly ink goes from none to full (phi); high '
                                          'is crisp, low soft pencil',
                                  'maximum': 1000.0,
                                  'minimum': 1.0,
                                  'type': 'float'},
                    'sigma': {'choices': None,
                              'default': 1.4,
                              'help': 'scale in pixels of the detail kept; larger gives '
                                      'bolder, simpler lines',
                              'maximum': 10.0,
                              'minimum': 0.3,
                              'type': 'float'},
                    'threshold': {'choices': None,
                                  'default': 0.01,
                                  'help': 'edge contrast (0..1) below which no ink is drawn; '
                                          'raise it to drop faint lines',
                                  'maximum': 1.0,
                                  'minimum': 0.0,
                                  'type': 'float'}},
         'version': '1'},
 'identity': {'dag': {'inputs': ['image'],
                      'nodes': [{'config': {'effect': 'identity', 'params': {}},
                                 'id': 'identity',
                                 'inputs': ['image'],
                                 'type': 'EFFECT'},
                                {'config': {'duration': 0.0,
                                            'input': True,
                                            'kind': 'any',
                                            'list': False,
                                            'name': 'image'},
                                 'id': 'image',
                                 'inputs': [],
                                 'type': 'SOURCE'}],
                      'output': {'output': 'identity'}},
              'description': 'Returns its input unchanged: the output hash is the input hash.',
              'name': 'identity',
              'owner': None,
              'params': {},
              'version': '1'},
 'invert': {'dag': {'inputs': ['image'],
                    'nodes': [{'config': {'duration': 0.0,
                                          'input': True,
                                          'kind': 'visual',
                                          'list': False,
                                          'name': 'image'},
                               'id': 'image',
                               'inputs': [],
                               'type': 'SOURCE'},
                              {'config': {'effect': 'invert', 'params': {}},
                               'id': 'invert',
                               'inputs': ['image'],
                               'type': 'EFFECT'}],
                    'output': {'output': 'invert'}},
            'description': 'Photographic negative.',
            'name': 'invert',
            'owner': None,
            'params': {},
            'version': '1'},
 'pixel-art': {'dag': {'inputs': ['image'],
                       'nodes': [{'config': {'duration': 0.0,
                                             'input': True,
                                             'kind': 'visual',
                                             'list': False,
                                             'name': 'image'},
                                  'id': 'image',
                                  'inputs': [],
                                  'type': 'SOURCE'},
                                 {'config': {'effect': 'pixelate',
                                             'params': {'block': {'param': 'block'}}},
                                  'id': 'pixelate',
                                  'inputs': ['image'],
                                  'type': 'EFFECT'},
                                 {'config': {'effect': 'posterize',
                                             'params': {'levels': {'param': 'levels'}}},
                                  'id': 'posterize',
                                  'inputs': ['pixelate'],
                                  'type': 'EFFECT'}],
                       'output': {'output': 'posterize'}},
               'description': 'Chunky pixels in a reduced palette.',
               'name': 'pixel-art',
               'owner': None,
               'params': {'block': {'choices': None,
                                    'default': 8,
                                    'help': 'side of the square blocks in pixels',
                                    'maximum': 512,
                                    'minimum': 1,
                                    'type': 'int'},
                          'levels': {'choices': None,
                                     'default': 6,
                                     'help': 'distinct values per colour channel',
                                     'maximum': 256,
                                     'minimum': 2,
                                     'type': 'int'}},
               'version': '1'},
 'sepia-print': {'dag': {'inputs': ['image'],
                         'nodes': [{'config': {'effect': 'contrast',
                                               'params': {'factor': {'param': 'factor'}}},
                                    'id': 'contrast',
                                    'inputs': ['sepia'],
                                    'type': 'EFFECT'},
                                   {'config': {'duration': 0.0,
                                               'input': True,
                                               'kind': 'visual',
                                               'list': False,
                                               'name': 'image'},
                                    'id': 'image',
                                    'inputs': [],
                                    'type': 'SOURCE'},
                                   {'config': {'effect': 'sepia',
                                               'params': {'amount': {'param': 'amount'}}},
                                    'id': 'sepia',
                                    'inputs': ['image'],
                                    'type': 'EFFECT'}],
                         'output': {'output': 'contrast'}},
                 'description': 'Sepia tone with a little extra contrast.',
                 'name': 'sepia-print',
                 'owner': None,
                 'params': {'amount': {'choices': None,
                                       'default': 1.0,
                                       'help': '0 leaves the image as is, 1 is full sepia',
                                       'maximum': 1.0,
                                       'minimum': 0.0,
                                       'type': 'float'},
                            'factor': {'choices': None,
                                       'default': 1.2,
                                       'help': '0 is flat grey, 1 unchanged, >1 more contrast',
                                       'maximum': 4.0,
                                       'minimum': 0.0,
                                       'type': 'float'}},
                 'version': '1'}}
