"""The main window: composition, menus, the banner and the panels' protocols."""
