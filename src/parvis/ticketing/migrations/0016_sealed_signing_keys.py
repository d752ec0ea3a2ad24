from django.db import migrations, models


def seal_raw_keys(apps, schema_editor):
    """Keys stored before sealing (32 raw bytes) are sealed in place; sealed ones are left alone."""
    from parvis.core import keyvault

    SigningKey = apps.get_model("ticketing", "SigningKey")
    for key in SigningKey.objects.all().only("private_key"):
        raw = bytes(key.private_key)
        if len(raw) == 32:
            SigningKey.objects.filter(pk=key.pk).update(private_key=keyvault.seal(raw))


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0015_subscriptions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="signingkey",
            name="private_key",
            field=models.BinaryField(max_length=80),
        ),
        migrations.RunPython(seal_raw_keys, migrations.RunPython.noop),
    ]
