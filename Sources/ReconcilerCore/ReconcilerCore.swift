import Git
