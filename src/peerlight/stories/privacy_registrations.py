"""What stories hold about a person, for "Download my data" and account deletion."""


def register() -> None:
    """Register the stories models with the privacy centre (written with the models)."""
