"""The registry: participants, households and children (personal data sealed), providers and employers."""
