"""The leaf layer: what every other layer of glflow reads and nothing here imports from above.

- `dtypes`: the three stored dtypes and their promotion rules;
- `state`: the active backend, and per-thread tidy scopes, gradient tapes and graph tracers;
- `counters`: live tensors and bytes, kernel launches (for `memory()`, tests and GLFLOW_DEBUG);
- `debug`: the GLFLOW_DEBUG level;
- `registry`: every kernel both backends implement, under one name and family;
- `views`: backend-neutral descriptions of how a kernel reads a flat buffer.

docs/architecture.md describes the layers above and the rule that imports point down only.
"""
