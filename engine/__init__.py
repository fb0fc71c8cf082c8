"""The artdag render engine: hashing, media decoding, effects and recipes.

Plain Python (numpy + Pillow). Nothing in this package imports Django, so a
worker, a benchmark or a test can drive it without the web layer.
"""
