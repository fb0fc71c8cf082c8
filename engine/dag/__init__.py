"""Recipes as graphs: documents (document.py), validation (validate.py),
planning with step cache ids (plan.py), execution (execute.py) and the node
executors (ops/). Plain Python: numpy, Pillow and PyAV, no Django."""
