"""One rule per module; the registry discovers every `Rule` subclass defined here."""
