# The same over TFTP (the LAN's own dnsmasq serves topo/ztp/tftp).
echo acm-tftp > /etc/config/hostname
