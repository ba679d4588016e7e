"""The Review view: the same questions asked of every document, answered in a grid."""
