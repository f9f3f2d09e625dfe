# On a USB key: the stand-in applies config.tar or config.sh from the key's root.
echo acm-usb > /etc/config/hostname
