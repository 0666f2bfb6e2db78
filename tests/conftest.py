from tests.helpers import seed_project, seed_text  # noqa: F401  (fixtures)
