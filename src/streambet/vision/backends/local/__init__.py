"""The local CPU engine: `LocalEngine` (models kept warm between analyses) and the
per-analysis run object it starts. Import-light: the engine module loads the models'
libraries, `config` does not."""
