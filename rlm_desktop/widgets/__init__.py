"""Small widgets and helpers every panel shares: icons, tones, empty states."""
