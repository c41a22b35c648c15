"""The ground floor of the window: settings, resources, the shared HTTP clients. Imports no
other part of ``gui``."""
