"""Executors: one module per node type, each a pure ``run(config, inputs, ctx)``.

A module's source is part of its node type's implementation hash
(engine.dag.plan.impl_hash), so keep each executor in its own module.
"""
