"""The PySide6 desktop editor. Imports core/compiler/zoo/training; nothing imports it."""
