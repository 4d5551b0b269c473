"""The worker's pages: thin views translating HTTP to selectors and services."""
