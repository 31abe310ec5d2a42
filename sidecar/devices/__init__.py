"""Read-only access to phones: Android through adb-shell, iOS through pymobiledevice3."""
