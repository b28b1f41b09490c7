"""The real action server and Rasa server on free ports, for the end-to-end tests, benchmarks and scripts."""
