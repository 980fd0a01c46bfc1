from django.apps import AppConfig


class PagecacheConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pagecache"
    verbose_name = "page cache"

    def ready(self):
        from pagecache import refresh, store

        refresh.connect()
        store.forget_release_on_setting_changes()
