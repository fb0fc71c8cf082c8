from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Actors, API tokens and login lock-outs"

    def ready(self):
        # django-axes reports through signals; these are the two things the
        # lock-out adds to it (accounts.lockout says why). Imported here, as
        # Django asks: axes.signals imports axes' models, which are not
        # loaded until the apps are.
        from axes.signals import user_locked_out

        from . import lockout  # imports axes' models too: here for the same reason

        user_locked_out.connect(lockout.log_lockout, dispatch_uid="accounts-log-lockout")
        user_logged_in.connect(lockout.on_logged_in, dispatch_uid="accounts-forget-failures")
