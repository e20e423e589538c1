"""Qt-free core of aws-login-tray: sign-in, sessions, refresh, AWS config."""
