"""The notifications engine (プッシュ型配信: 取組12 防災情報の発信強化, 取組17, 20, 21, and the
notices of 取組1): topics, subscriptions, messages stored before they are sent, per-recipient
deliveries, and the channels (email, LINE, Web Push, the in-portal inbox, signage).

A base engine (layer 2): it imports only `core`. Domain apps publish through
`services.message_publish` and override signage through `signage.register_signage_override`.
"""
