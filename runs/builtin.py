"""Recipes every server has: created by migration and refreshed by seed_demo."""

BUILTIN_RECIPES = {
    "dog": {
        "description": "The artdag signature look: difference-of-Gaussians ink lines over "
                       "flat posterized colour.",
        "definition": {"inputs": 1, "steps": [{"effect": "dog", "params": {}}]},
    },
    "identity": {
        "description": "Returns its input unchanged: the output hash is the input hash.",
        "definition": {"inputs": 1, "steps": [{"effect": "identity", "params": {}}]},
    },
    "invert": {
        "description": "Photographic negative.",
        "definition": {"inputs": 1, "steps": [{"effect": "invert", "params": {}}]},
    },
    "sepia-print": {
        "description": "Sepia tone with a little extra contrast.",
        "definition": {"inputs": 1, "steps": [{"effect": "sepia", "params": {"amount": 1.0}},
                                              {"effect": "contrast", "params": {"factor": 1.2}}]},
    },
    "pixel-art": {
        "description": "Chunky pixels in a reduced palette.",
        "definition": {"inputs": 1, "steps": [{"effect": "pixelate", "params": {"block": 8}},
                                              {"effect": "posterize", "params": {"levels": 6}}]},
    },
    "diptych": {
        "description": "Two inputs side by side, in the order given.",
        "definition": {"inputs": 2, "steps": [{"effect": "hstack", "params": {}}]},
    },
}
