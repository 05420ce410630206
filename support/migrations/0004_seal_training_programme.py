# The programme was a plaintext column in the support app's first release (never deployed):
# dropped and added sealed, rather than cast, so no plaintext survives as bytes.

import vault.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0003_open_rows_indexes'),
    ]

    operations = [
        migrations.RemoveField(model_name='trainingenrolment', name='programme'),
        migrations.AddField(
            model_name='trainingenrolment',
            name='programme',
            field=vault.fields.EncryptedTextField(default='', max_length=200, verbose_name='programme'),
            preserve_default=False,
        ),
    ]
