# This module takes no inputs: it only publishes the project's conventions (main.tf).
