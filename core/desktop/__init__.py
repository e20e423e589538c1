"""Desktop integration: the application-menu entry, its icon, the AppStream metainfo and start at login."""
