# No models: this module makes `migrate` send l1site its post_migrate signal (l1site.apps).
