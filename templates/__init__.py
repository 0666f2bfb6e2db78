"""specgen's templates, shipped as the package data of `generator.templates`."""
