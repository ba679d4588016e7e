"""The Ask panel: the question box and the conversation with cited answers."""
